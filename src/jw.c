/* jw: to be written */
