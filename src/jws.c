/* jws: to be written */
