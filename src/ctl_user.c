/* ctl_user: to be written */
