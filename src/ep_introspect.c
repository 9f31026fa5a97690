/* ep_introspect: to be written */
