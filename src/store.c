/* store: to be written */
