environment       = "staging"
db_engine_version = "16.4"
db_instance_class = "db.t4g.medium"
