variable "environment" {
  type = string
}

variable "db_engine_version" {
  type = string
}

variable "db_instance_class" {
  type = string
}

variable "redis_nodes" {
  type    = number
  default = 1
}

variable "log_retention_days" {
  type    = number
  default = 14
}
