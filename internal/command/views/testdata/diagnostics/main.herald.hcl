variable "release" {
  type    = string
  default = "1.0"
  validation {
    condition     = can(regex("^v", var.release))
    error_message = "The release must start with v, as v1.2.3."
  }
}

provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "announce" {
  from = sender.opz
  to = [
    "+12025550123",
    "+1 202 555 0124",
  ]
  body = "Release ${var.release}"
  ref  = "release-${var.release}"
}
