import pika
