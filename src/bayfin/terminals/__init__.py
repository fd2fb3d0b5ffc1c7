"""IoT monitoring of social-security and medical-insurance card terminals (社保/医保支付终端物联网监测)."""
