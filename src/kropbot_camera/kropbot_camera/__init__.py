"""KropBot camera: JPEG CompressedImage from an OpenCV source, a test pattern or the sim view."""
