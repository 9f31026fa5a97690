/* resp: to be written */
