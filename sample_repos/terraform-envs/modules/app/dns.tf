locals {
  app_host = var.environment == "production" ? var.domain : "${var.environment}.${var.domain}"
}

data "aws_route53_zone" "main" {
  name = var.domain
}

resource "aws_route53_record" "app" {
  zone_id = data.aws_route53_zone.main.zone_id
  name    = var.environment == "production" ? "" : var.environment
  type    = "A"

  alias {
    name                   = aws_lb.app.dns_name
    zone_id                = aws_lb.app.zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "verification" {
  zone_id = data.aws_route53_zone.main.zone_id
  name    = "_shop-verification"
  type    = "TXT"
  records = ["shop-site-verification"]
  ttl     = 300
}

resource "aws_acm_certificate" "app" {
  domain_name       = local.app_host
  validation_method = "DNS"
}

resource "aws_lb" "app" {
  name               = "shop-${var.environment}"
  load_balancer_type = "application"
}
