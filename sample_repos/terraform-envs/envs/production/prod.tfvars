environment        = "production"
db_engine_version  = "15.8"
db_instance_class  = "db.r6g.large"
redis_nodes        = 2
log_retention_days = 90
