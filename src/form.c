/* form: to be written */
