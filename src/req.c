/* req: to be written */
