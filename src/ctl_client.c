/* ctl_client: to be written */
