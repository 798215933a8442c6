# A local value declared twice, in two locals blocks.
locals {
  greeting = "hello"
}

locals {
  greeting = "hi" # ERROR: Duplicate local value
}
