/* ep_revoke: to be written */
