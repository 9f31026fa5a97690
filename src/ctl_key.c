/* ctl_key: to be written */
