"""OpenCV VideoCapture cameras."""
