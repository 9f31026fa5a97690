/* pw: to be written */
