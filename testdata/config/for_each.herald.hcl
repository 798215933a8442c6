# for_each takes a map or a set of strings.
provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

recipients "team" {
  numbers = ["+12025550123", "+12025550124"]
}

message "list" {
  for_each = ["a", "b"] # ERROR: Invalid for_each argument
  from     = sender.ops
  to       = recipients.team
  body     = each.key
  ref      = "list-${each.key}"
}

message "map" {
  for_each = { a = "+12025550123", b = "+12025550124" }
  from     = sender.ops
  to       = [each.value]
  body     = "hi ${each.key}"
  ref      = "map-${each.key}"
}

message "bad_value" {
  for_each = { a = 1 }
  from     = sender.ops
  to       = recipients.team
  body     = each.value.name # ERROR: Unsupported attribute
  ref      = "bad-${each.key}"
}

variable "waves" {
  type      = set(string)
  default   = ["a"]
  sensitive = true
}

message "secret_keys" {
  for_each = var.waves # ERROR: Invalid for_each argument
  from     = sender.ops
  to       = recipients.team
  body     = "hi"
  ref      = "secret-${each.key}"
}
