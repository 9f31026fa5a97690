/* fcgi: to be written */
