# Announcing a release: change var.release in a pull request, read the plan
# comment to see who will receive what, merge to send.

variable "release" {
  type        = string
  description = "The version being announced."
  default     = "v1.4.0"
  validation {
    condition     = can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+$", var.release))
    error_message = "release must look like v1.2.3."
  }
}

locals {
  oncall = ["+12025550123", "+12025550124"]
}

recipients "oncall" {
  numbers = local.oncall
}

recipients "release_managers" {
  numbers = ["+12025550131", "+12025550132", "+12025550133"]
}

template "release_notice" {
  name     = "release_announcement"
  language = "en"
  params   = ["version", "eta"]
}

message "announce" {
  from     = sender.ops
  to       = [recipients.oncall, recipients.release_managers]
  template = template.release_notice
  params = {
    version = var.release
    eta     = "today 18:00 UTC"
  }
  ref  = "release-${var.release}"
  ref1 = "announce"
}

message "done" {
  for_each   = toset(["wave-1", "wave-2"])
  from       = sender.ops
  to         = recipients.oncall
  body       = "Rollout ${var.release} ${each.key} complete."
  ref        = "release-${var.release}"
  ref1       = "done"
  ref2       = each.key
  depends_on = [message.announce]
}
