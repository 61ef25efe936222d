<?php
$db = new mysqli(getenv('MYSQL_HOST'), getenv('MYSQL_USER'), getenv('MYSQL_PASSWORD'), getenv('MYSQL_DATABASE'));
if ($db->connect_error) {
    http_response_code(503);
    exit('database unavailable');
}
echo 'Connected to MySQL ' . $db->server_info;
