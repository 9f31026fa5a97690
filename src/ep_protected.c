/* ep_protected: to be written */
