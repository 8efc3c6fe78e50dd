#!/usr/bin/env bash
# Run Drupal's deploy steps only once the site is installed: a new environment's first
# deploy has no database yet.
set -e

if [ -n "$(drush status --field=bootstrap)" ]; then
  drush -y cache-rebuild
  drush -y updatedb
  drush -y config-import
  drush -y deploy:hook
else
  echo "Drupal not installed. Skipping the deploy steps."
fi
