/* state: to be written */
