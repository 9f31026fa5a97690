/* key: to be written */
