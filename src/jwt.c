/* jwt: to be written */
