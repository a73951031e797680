<?php
// Modelled on docs/en/how-to/zero-config-routing.md ("Root home behavior"): home.redirect sends
// / to /hello with a 302.
function handler($event)
{
    return ['hello' => 'world', 'runtime' => 'php'];
}
