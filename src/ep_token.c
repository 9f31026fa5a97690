/* ep_token: to be written */
