"""The Raspberry Pi gate client: long-polls the server's gate events and drives the door relay, LEDs and voice.

It runs on the Pi with few dependencies (requests, gpiozero, pyttsx3; OpenCV only for the camera streamer)
and imports nothing from app/.
"""
