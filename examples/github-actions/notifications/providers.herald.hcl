# Where herald keeps what it has sent: PostgreSQL, so that every runner
# and every pipeline shares one ledger. The connection string comes from
# the secret HERALD_PG_CONN_STR; herald never prints or logs it.
herald {
  backend "pg" {
    conn_str = env("HERALD_PG_CONN_STR")
  }
}

# The Kaleyra account and the number messages come from.
#
# The SID is not secret: it comes from the repository variable KALEYRA_SID.
# The API key is: it comes from the secret KALEYRA_API_KEY, which only the
# apply job on main is given. Planning never talks to Kaleyra, so pull
# requests plan with an empty key; an apply with an empty key stops before
# sending anything.
provider "kaleyra" {
  sid                 = env("KALEYRA_SID")
  api_key             = env("KALEYRA_API_KEY", "")
  region              = "in"
  messages_per_second = 20
}

sender "ops" {
  number = "+12025550100"
}
