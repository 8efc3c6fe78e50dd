resource "aws_db_instance" "main" {
  identifier              = "shop-${var.environment}"
  engine                  = "postgres"
  engine_version          = var.db_engine_version
  instance_class          = var.db_instance_class
  allocated_storage       = 50
  multi_az                = var.environment == "production"
  backup_retention_period = var.environment == "production" ? 14 : 1
  deletion_protection     = var.environment == "production"
  username                = "shop"
  manage_master_user_password = true
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "shop-${var.environment}"
  description                = "Sessions and carts"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = "cache.t4g.small"
  num_cache_clusters         = var.redis_nodes
  automatic_failover_enabled = var.redis_nodes > 1
}

resource "aws_sqs_queue" "orders" {
  name = "shop-${var.environment}-orders"
}
