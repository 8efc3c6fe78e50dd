<?php

/**
 * Writes drush/drush.yml so that drush knows the environment's primary URL.
 */

$routes = json_decode(base64_decode(getenv('PLATFORM_ROUTES') ?: ''), TRUE) ?: [];
$primary = 'http://localhost';
foreach ($routes as $url => $route) {
  if (!empty($route['primary'])) {
    $primary = $url;
  }
}
file_put_contents(__DIR__ . '/drush.yml', "options:\n  uri: '" . $primary . "'\n");
