"""Tasks that reward referrals once the friend's first order is delivered."""
