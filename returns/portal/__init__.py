"""The customer returns portal: guest access, the return form, the RMA status page and label."""
