/* serve: to be written */
