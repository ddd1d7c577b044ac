"""Tasks that rebuild the product pairs and send replenishment reminders."""
