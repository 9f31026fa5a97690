/* htpasswd: to be written */
