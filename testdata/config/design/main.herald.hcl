# The example of DESIGN.md section 2, whole.
herald {
  state_path = "herald.state"
}

variable "release" {
  type        = string
  description = "Version being announced"
  default     = "v0.0.0"
  sensitive   = false
  validation {
    condition     = can(regex("^v[0-9]+", var.release))
    error_message = "release must look like v1.2.3."
  }
}

locals {
  oncall = ["+12025550123", "+12025550124"]
}

provider "kaleyra" {
  sid                    = "HXAP16XXXXXX17IN"
  api_key                = env("KALEYRA_API_KEY", "test-key")
  region                 = "in"
  endpoint               = "http://127.0.0.1:8787"
  method                 = "POST"
  encoding               = "form"
  sandbox                = false
  emulator               = false
  messages_per_second    = 80
  recipients_per_request = 1
  timeout                = "30s"
  alias                  = "eu"
}

provider "kaleyra" {
  sid      = "HXQUICKSTART01IN"
  emulator = true
}

sender "ops" {
  number   = "+12025550100"
  channel  = "whatsapp"
  provider = kaleyra.eu
}

recipients "oncall" {
  numbers = local.oncall
}

template "release_notice" {
  name     = "release_announcement"
  language = "en"
  params   = ["version", "eta"]
}

message "announce" {
  from         = sender.ops
  to           = [recipients.oncall, "+12025550199"]
  template     = template.release_notice
  params       = { version = var.release, eta = "today" }
  ref          = "release-${var.release}"
  ref1         = "rollout"
  ref2         = "wave-1"
  callback_url = "https://hooks.example.com/kaleyra"
}

message "done" {
  for_each   = toset(["wave-1", "wave-2"])
  from       = sender.ops
  to         = recipients.oncall
  body       = "Rollout ${var.release} ${each.key} complete"
  ref        = "release-${var.release}-done-${each.key}"
  depends_on = [message.announce]
}
