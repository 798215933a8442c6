# Announce a release with an approved WhatsApp template, then tell each
# rollout wave when it is done.
#
#   herald plan -var release=v1.4.0

variable "release" {
  type        = string
  description = "Version being announced"

  validation {
    condition     = can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+$", var.release))
    error_message = "The release must look like v1.2.3."
  }
}

variable "waves" {
  type        = map(string)
  description = "Rollout waves and when each starts"
  default = {
    "wave-1" = "09:00 UTC"
    "wave-2" = "13:00 UTC"
  }
}

provider "kaleyra" {
  sid     = "HXAP16XXXXXX17IN"
  api_key = env("KALEYRA_API_KEY")
  region  = "in"
}

sender "releases" {
  number = "+12025550100"
}

recipients "oncall" {
  numbers = ["+12025550123", "+12025550124"]
}

recipients "stakeholders" {
  numbers = ["+12025550131", "+12025550132", "+12025550133"]
}

# The approved template carries an image header (the release's banner) and
# a "Release notes" URL button whose dynamic part is the version.
template "release_notice" {
  name     = "release_announcement"
  language = "en"
  params   = ["version", "eta"]
  header   = "image"
  button   = "url"
}

message "announce" {
  from     = sender.releases
  to       = [recipients.oncall, recipients.stakeholders]
  template = template.release_notice
  params = {
    version = var.release
    eta     = "today, in ${length(var.waves)} waves"
  }
  header       = { media_url = "https://cdn.example.com/releases/${var.release}/banner.png" }
  button_url   = var.release
  ref          = "release-${var.release}"
  ref1         = "announce"
  callback_url = "https://hooks.example.com/kaleyra"
}

message "wave_done" {
  for_each   = var.waves
  from       = sender.releases
  to         = recipients.oncall
  body       = "Rollout of ${var.release}: ${each.key} (started ${each.value}) is complete."
  ref        = "release-${var.release}"
  ref1       = "done"
  ref2       = each.key
  depends_on = [message.announce]
}
