# Provider settings are checked.
provider "kaleyra" {
  sid                    = "HXTEST0001IN"
  api_key                = "k"
  region                 = "us" # ERROR: Invalid region
  method                 = "GET"
  encoding               = "json" # ERROR: Encoding without POST
  messages_per_second    = 0      # ERROR: Invalid messages_per_second
  recipients_per_request = 101    # ERROR: Invalid recipients_per_request
  timeout                = "soon" # ERROR: Invalid timeout
}

provider "kaleyra" { # ERROR: Missing api_key
  alias    = "eu"
  sid      = "HXTEST0002EU"
  endpoint = "127.0.0.1:8787" # ERROR: Invalid endpoint
}

provider "kaleyra" { # ERROR: Missing required argument
  alias    = "sg"
  emulator = true
}

provider "kaleyra" {
  alias    = "plain"
  sid      = "HXTEST0005IN"
  api_key  = "k"
  endpoint = "http://api.example.com" # ERROR: Insecure endpoint
}

provider "kaleyra" {
  alias    = "local"
  sid      = "HXTEST0006IN"
  api_key  = "k"
  endpoint = "http://localhost:8787"
}

provider "kaleyra" { # ERROR: Duplicate provider configuration
  alias    = "eu"
  sid      = "HXTEST0003EU"
  emulator = true
}

provider "kaleyra" {
  alias    = "not valid" # ERROR: Invalid provider alias
  sid      = "HXTEST0004IN"
  emulator = true
}

provider "twilio" { # ERROR: Unsupported provider
  sid = "x"
}

sender "ops" {
  number   = "+12025550100"
  provider = kaleyra.euu # ERROR: Reference to undeclared provider configuration
}

sender "sms" {
  number  = "+12025550101"
  channel = "sms" # ERROR: Unsupported channel
}

sender "quoted" {
  number   = "+12025550102"
  provider = "kaleyra" # ERROR: Invalid provider reference
}

provider "kaleyra" {
  alias                  = "batched"
  sid                    = "HXTEST0006IN"
  api_key                = "k"
  recipients_per_request = 100 # ERROR: Batch larger than the rate limit
}

provider "kaleyra" {
  alias                  = "fast"
  sid                    = "HXTEST0007IN"
  api_key                = "k"
  messages_per_second    = 1000
  recipients_per_request = 100
}
