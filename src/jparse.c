/* jparse: to be written */
