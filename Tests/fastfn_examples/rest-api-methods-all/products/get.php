<?php
// Modelled on rest-api-methods run without FN_RUNTIMES: products/get.* exists in every runtime.
function handler($event) { return ['runtime' => 'php']; }
