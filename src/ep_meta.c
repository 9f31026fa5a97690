/* ep_meta: to be written */
