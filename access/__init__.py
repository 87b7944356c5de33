"""Target systems, accounts, access requests, departures and provisioning."""
