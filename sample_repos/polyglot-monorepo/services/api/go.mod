module github.com/acme/platform/services/api

go 1.22

require (
	github.com/getsentry/sentry-go v0.27.0
	github.com/jackc/pgx/v5 v5.5.5
	github.com/golang-migrate/migrate/v4 v4.17.1
	go.opentelemetry.io/otel v1.26.0
	github.com/stretchr/testify v1.9.0 // indirect
)
