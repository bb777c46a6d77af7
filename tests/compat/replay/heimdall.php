<?php
// What Heimdall does when it tests or polls a Jellyfin/Emby item, with the
// real HTTP client it uses (Guzzle 7; Debian's php-guzzlehttp-guzzle).
//
// Environment (the key never goes on the command line):
//   KEYFIN_URL    the server URL as a user types it in Heimdall
//   KEYFIN_KEY    the API key (Heimdall's "password" field)
//   HEIMDALL_APP  jellyfin | jellyfin-old | emby
//   HEIMDALL_PATH endpoint (default "System/Info", what test() calls)
// Prints one JSON line: {"status":N,"body":"..."} or {"error":"..."}.

require '/usr/share/php/GuzzleHttp/autoload.php';

use GuzzleHttp\Client;
use GuzzleHttp\Exception\ConnectException;

// linuxserver/Heimdall@c16a484 app/SupportedApps.php:120-128
function normaliseurl(string $url, bool $addslash = true): string
{
    $url = rtrim($url, '/');
    if ($addslash) {
        $url .= '/';
    }
    return $url;
}

$url = getenv('KEYFIN_URL');
$password = getenv('KEYFIN_KEY');
$app = getenv('HEIMDALL_APP') ?: 'jellyfin';
$endpoint = getenv('HEIMDALL_PATH') ?: 'System/Info';

switch ($app) {
case 'jellyfin':
    // linuxserver/Heimdall-Apps@29a8865 Jellyfin/Jellyfin.php:42-52
    //   $authorizationHeader = "MediaBrowser " .
    //       "Token=\"" . urlencode($this->config->password) . "\", " .
    //       "Client=\"Heimdall\"";
    //   return ["headers" => ["Authorization" => $authorizationHeader]];
    $attrs = [
        'headers' => [
            'Authorization' => 'MediaBrowser ' .
                'Token="' . urlencode($password) . '", ' .
                'Client="Heimdall"',
        ],
    ];
    break;
case 'jellyfin-old':
    // linuxserver/Heimdall-Apps@9f17db3 Jellyfin/Jellyfin.php:42-48
    //   'headers' => ['X-MediaBrowser-Token' => $this->config->password]
    $attrs = ['headers' => ['X-MediaBrowser-Token' => $password]];
    break;
case 'emby':
    // linuxserver/Heimdall-Apps@29a8865 Emby/Emby.php:42-49
    //   "headers" => ["X-Emby-Token" => $this->config->password]
    $attrs = ['headers' => ['X-Emby-Token' => $password]];
    break;
default:
    fwrite(STDERR, "unknown HEIMDALL_APP $app\n");
    exit(2);
}

// Jellyfin/Jellyfin.php:36-40: url() = normaliseurl(config->url) . endpoint
$target = normaliseurl($url) . $endpoint;

// linuxserver/Heimdall@c16a484 app/SupportedApps.php:81-94 (execute())
$vars = [
    'http_errors' => false,
    'timeout' => 15,
    'connect_timeout' => 15,
];
$client = new Client($vars);
try {
    $res = $client->request('GET', $target, $attrs);
    echo json_encode(['status' => $res->getStatusCode(), 'body' => (string) $res->getBody()]), "\n";
} catch (ConnectException $e) {
    echo json_encode(['error' => 'Connection refused']), "\n";
    exit(1);
}
