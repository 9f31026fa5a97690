/* ctl_token: to be written */
