/* conf: to be written */
