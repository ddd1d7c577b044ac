"""Tasks that ask for reviews and surveys when their time has come."""
