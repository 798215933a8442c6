# Without an un-aliased provider, a sender must choose one; a sender whose
# provider argument is invalid is reported for that alone.
provider "kaleyra" {
  alias    = "eu"
  sid      = "HXTEST0001EU"
  emulator = true
}

sender "ops" { # ERROR: Missing provider configuration
  number = "+12025550100"
}

sender "eu" {
  number   = "+12025550101"
  provider = kaleyra.eu.x # ERROR: Invalid provider reference
}

sender "ok" {
  number   = "+12025550102"
  provider = kaleyra.eu
}
